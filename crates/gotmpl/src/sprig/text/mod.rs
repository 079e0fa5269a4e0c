//! Sprig's general-purpose functions: strings, string lists, defaults, JSON, type conversion and
//! reflection, paths, regex, lists and dicts.

use crate::FuncMap;

pub(super) fn register(m: &mut FuncMap) {
    let _ = m;
}
