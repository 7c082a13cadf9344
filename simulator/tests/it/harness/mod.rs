//! The simulator's harness for tests of money: switches (list lag, create delay, held answers), outputs
//! (removed, literal) and answers (`GET /account`, uploads, throttle wording).

mod answers;
mod outputs;
mod switches;
