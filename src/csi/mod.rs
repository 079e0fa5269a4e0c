pub mod proto;
pub mod request;
