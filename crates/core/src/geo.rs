//! Places on the sphere: the box of latitudes and longitudes that holds
//! every point within a distance of a centre, so a store can narrow a
//! search by indexed columns before the exact distance (`distance_km`)
//! decides.

/// The Earth's mean radius, as [`distance_km`] measures with.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The great-circle distance between two places in kilometres (haversine,
/// on a sphere of the Earth's mean radius).
pub fn distance_km(a_lat: f64, a_lon: f64, b_lat: f64, b_lon: f64) -> f64 {
    let (a_lat, b_lat) = (a_lat.to_radians(), b_lat.to_radians());
    let d_lat = b_lat - a_lat;
    let d_lon = (b_lon - a_lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + a_lat.cos() * b_lat.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A range of longitudes, in degrees from −180 to 180.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Longitudes {
    /// Every longitude (the circle holds a pole, or spans the globe).
    All,
    /// From `west` to `east`, both included, with `west <= east`.
    Between { west: f64, east: f64 },
    /// Across the antimeridian: at least `west` or at most `east`.
    Across { west: f64, east: f64 },
}

/// Every point within a radius of a centre lies in this box; some points
/// in its corners lie outside the radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub south: f64,
    pub north: f64,
    pub longitudes: Longitudes,
}

/// A little more than rounding can take from a point on the circle, in
/// degrees (about 10 cm), so the box never leaves out what the exact
/// distance would keep.
const MARGIN: f64 = 1e-6;

impl BoundingBox {
    /// The box around every point within `radius_km` of (`lat`, `lon`).
    /// The largest longitude difference on the circle is
    /// asin(sin(r) / cos(lat)), r the radius as an angle.
    pub fn around(lat: f64, lon: f64, radius_km: f64) -> BoundingBox {
        let angle = radius_km / EARTH_RADIUS_KM;
        let reach = angle.to_degrees() + MARGIN;
        let (south, north) = (lat - reach, lat + reach);
        if south <= -90.0 || north >= 90.0 || angle >= std::f64::consts::FRAC_PI_2 {
            return BoundingBox {
                south: south.max(-90.0),
                north: north.min(90.0),
                longitudes: Longitudes::All,
            };
        }
        let ratio = angle.sin() / lat.to_radians().cos();
        let spread = if ratio >= 1.0 {
            180.0
        } else {
            ratio.asin().to_degrees() + MARGIN
        };
        let (west, east) = (lon - spread, lon + spread);
        let longitudes = if spread >= 180.0 {
            Longitudes::All
        } else if west < -180.0 {
            Longitudes::Across {
                west: west + 360.0,
                east,
            }
        } else if east > 180.0 {
            Longitudes::Across {
                west,
                east: east - 360.0,
            }
        } else {
            Longitudes::Between { west, east }
        };
        BoundingBox {
            south,
            north,
            longitudes,
        }
    }

    /// Whether the box holds the point.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let lon_in = match self.longitudes {
            Longitudes::All => true,
            Longitudes::Between { west, east } => (west..=east).contains(&lon),
            Longitudes::Across { west, east } => lon >= west || lon <= east,
        };
        (self.south..=self.north).contains(&lat) && lon_in
    }
}

/// Whether (`lat`, `lon`) is within `radius_km` of the centre: the exact
/// check after the box.
pub fn within(centre: (f64, f64), radius_km: f64, lat: f64, lon: f64) -> bool {
    distance_km(centre.0, centre.1, lat, lon) <= radius_km
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Accra to Kumasi is about 200 km as the crow flies.
        let d = distance_km(5.6037, -0.187, 6.6885, -1.6244);
        assert!((195.0..205.0).contains(&d), "{d}");
        assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
        // Across the antimeridian: Fiji to Samoa, about 1,150 km.
        let d = distance_km(-18.14, 178.44, -13.83, -171.76);
        assert!((1_100.0..1_200.0).contains(&d), "{d}");
    }

    /// Points on the circle, all around it, lie in the box.
    fn circle_in_box(lat: f64, lon: f64, radius_km: f64) {
        let bbox = BoundingBox::around(lat, lon, radius_km);
        let angle = radius_km / EARTH_RADIUS_KM;
        let (phi, lambda) = (lat.to_radians(), lon.to_radians());
        for step in 0..3600 {
            let bearing = f64::from(step).to_radians() / 10.0;
            let p_lat = (phi.sin() * angle.cos() + phi.cos() * angle.sin() * bearing.cos()).asin();
            let p_lon = lambda
                + (bearing.sin() * angle.sin() * phi.cos())
                    .atan2(angle.cos() - phi.sin() * p_lat.sin());
            let (p_lat, mut p_lon) = (p_lat.to_degrees(), p_lon.to_degrees());
            if p_lon > 180.0 {
                p_lon -= 360.0;
            } else if p_lon < -180.0 {
                p_lon += 360.0;
            }
            assert!(
                bbox.contains(p_lat, p_lon),
                "({p_lat}, {p_lon}) on the {radius_km} km circle around ({lat}, {lon}) is outside {bbox:?}"
            );
        }
    }

    #[test]
    fn every_point_on_the_circle_is_in_the_box() {
        for (lat, lon, radius) in [
            (5.6, -0.19, 100.0),
            (60.0, 10.0, 500.0),
            (-33.9, 18.4, 2000.0),
            (0.0, 179.5, 300.0),
            (10.0, -179.9, 50.0),
            (85.0, 0.0, 1000.0),
            (-89.0, 45.0, 200.0),
            (40.0, 100.0, 20_000.0),
        ] {
            circle_in_box(lat, lon, radius);
        }
    }

    #[test]
    fn the_box_is_no_wider_than_it_must_be() {
        let bbox = BoundingBox::around(0.0, 0.0, 111.19);
        assert!((bbox.north - 1.0).abs() < 0.001, "{bbox:?}");
        assert!(!bbox.contains(1.01, 0.0));
        assert!(!bbox.contains(0.0, 1.01));
        // A corner is in the box but not within the radius.
        assert!(bbox.contains(0.99, 0.99));
        assert!(!within((0.0, 0.0), 111.19, 0.99, 0.99));
    }

    #[test]
    fn a_box_over_the_antimeridian_or_a_pole_wraps() {
        let east = BoundingBox::around(0.0, 179.5, 200.0);
        assert!(
            matches!(east.longitudes, Longitudes::Across { .. }),
            "{east:?}"
        );
        assert!(east.contains(0.0, -179.5) && east.contains(0.0, 179.0));
        assert!(!east.contains(0.0, 0.0));
        let polar = BoundingBox::around(89.5, 0.0, 100.0);
        assert_eq!(polar.longitudes, Longitudes::All);
        assert!(polar.contains(89.9, 180.0));
    }
}
