//! Conversions sprig performs on `interface{}` arguments (spf13/cast `ToInt64`, `ToFloat64`,
//! `ToString`, ... and sprig's own `strval`), shared by every sprig module.
