//! A batch pays for nothing twice and hands no item another's output: what an item is (`identity`), and
//! what a resumed batch settles with the server's clock and one walk of the list (`resume`).

mod identity;
mod resume;
