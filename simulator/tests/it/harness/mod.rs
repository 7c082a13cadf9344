//! The simulator's harness for tests of money: switches (list lag, create delay, held answers), outputs
//! (removed, literal) and answers (`GET /account`, uploads, throttle wording). One test binary.

mod answers;
#[path = "../common/mod.rs"]
mod common;
mod outputs;
mod switches;
