//! The sprig v3 function library (`sprig.TxtFuncMap()`), registered into a [`FuncMap`].

pub mod cast;
mod extra;
mod text;

use crate::FuncMap;

/// Every sprig function, as `sprig.TxtFuncMap()` provides them (see docs/rendering.md for the
/// deliberate deviations: `env`, `expandenv`, `getHostByName`).
pub fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    text::register(&mut m);
    extra::register(&mut m);
    m
}
