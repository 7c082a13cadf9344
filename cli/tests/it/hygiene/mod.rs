//! The CLI as an unlucky user meets it: a closed stdout and its logs (`output`), contact sheets that stay
//! ours (`sheet`), Ctrl-C (`interrupt`).

mod interrupt;
mod output;
mod sheet;
