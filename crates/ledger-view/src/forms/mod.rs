//! The stewards' forms, one file each: the markup drawn with the page, and
//! the sending when it is submitted. Each checks what it can here (with the
//! core's own validation where there is one), marks each field at fault
//! beside it, and shows the server's refusals the same way.

pub(crate) mod equation;
pub(crate) mod record;
pub(crate) mod void;
