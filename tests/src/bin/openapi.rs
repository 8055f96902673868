//! Prints the API's OpenAPI document (`riskfeedback_tests::openapi`); `scripts/openapi` writes
//! it to `openapi.json`.

fn main() {
    print!("{}", riskfeedback_tests::openapi::json());
}
