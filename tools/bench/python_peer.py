"""The reference a user would otherwise pick: a minimal Python 3 Lambda function on a custom
runtime loop that creates the same two clients (DynamoDB and SQS) at init, then serves events.
scripts/bench times its cold start to the first poll of the Runtime API, like the Rust ones."""

import os
import urllib.request

import boto3

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as event:
        request_id = event.headers["Lambda-Runtime-Aws-Request-Id"]
        event.read()
    done = urllib.request.Request(api + request_id + "/response", data=b"{}", method="POST")
    urllib.request.urlopen(done).read()
