//! The claim file as the crate's users see it: its error names the file and says what went wrong. (The
//! store itself is crate-private; its tests are beside it, in `src/resolve/claim_file/tests.rs`.)

use std::path::PathBuf;

use replicate_ideogram::Error;

#[test]
fn a_claim_file_error_names_the_file_and_the_reason() {
    let error = Error::ClaimFile {
        path: PathBuf::from("claims/claims.sqlite"),
        reason: "database is locked".into(),
    };
    assert_eq!(
        error.to_string(),
        format!(
            "claim file {}: database is locked",
            PathBuf::from("claims/claims.sqlite").display()
        )
    );
    assert_eq!((error.prediction_id(), error.status()), (None, None));
}
