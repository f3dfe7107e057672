//! Idempotency keys for the browser's writes: one per submission, the same
//! until the server answers it, so a double click or a retry after a
//! dropped connection sends the same key and the server writes once; once
//! answered, the same form sent again is a new submission with a new key.

/// The submissions of one page load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submissions {
    /// A random prefix, so that keys of two page loads never meet.
    prefix: u64,
    /// The fingerprints of the submissions answered so far.
    answered: Vec<u64>,
}

impl Submissions {
    pub fn new(prefix: u64) -> Submissions {
        Submissions {
            prefix,
            answered: Vec::new(),
        }
    }

    /// The request's fingerprint and the key to send it with: the prefix,
    /// the request, and how many times it was answered before.
    pub fn key(&self, url: &str, body: &str) -> (u64, String) {
        let print = fingerprint(url, body);
        let done = self.answered.iter().filter(|p| **p == print).count();
        (print, format!("{:x}-{print:x}-{done}", self.prefix))
    }

    /// The server answered the submission with this fingerprint.
    pub fn answered(&mut self, print: u64) {
        self.answered.push(print);
    }
}

/// FNV-1a over the URL and the body: which request this is.
fn fingerprint(url: &str, body: &str) -> u64 {
    url.bytes()
        .chain([0])
        .chain(body.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_keeps_its_key_until_it_is_answered() {
        let mut sent = Submissions::new(0xbeef);
        let (print, first) = sent.key("/api/needs/4/claims", r#"{"quantity":40}"#);
        assert_eq!(
            sent.key("/api/needs/4/claims", r#"{"quantity":40}"#).1,
            first
        );
        assert_ne!(
            sent.key("/api/needs/4/claims", r#"{"quantity":41}"#).1,
            first
        );
        assert_ne!(
            sent.key("/api/needs/5/claims", r#"{"quantity":40}"#).1,
            first
        );
        assert!(first.starts_with("beef-"));
        sent.answered(print);
        let again = sent.key("/api/needs/4/claims", r#"{"quantity":40}"#).1;
        assert_ne!(
            again, first,
            "answered: the same form again is a new submission"
        );
        assert_ne!(
            Submissions::new(1).key("/a", "").1,
            Submissions::new(2).key("/a", "").1
        );
    }
}
