# Sourced by the scripts that talk to the stack scripts/dev runs: its local endpoints, never AWS.
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:${RISKFEEDBACK_SQS_PORT:-9324}"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:${RISKFEEDBACK_DDB_PORT:-8000}"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
