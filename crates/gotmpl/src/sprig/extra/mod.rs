//! Sprig's specialised functions: math, dates, encoding, semver, URL, UUID, random, crypto, OS and
//! network (the latter as deliberate deviations).

use crate::FuncMap;

pub(super) fn register(m: &mut FuncMap) {
    let _ = m;
}
