// Package resources is a test-only AWS endpoint for the services whose
// resource policies and tags the live reference checks read: S3, KMS, SNS,
// SQS, Secrets Manager, ECR, Lambda and the Resource Groups Tagging API. Real
// aws-sdk-go-v2 clients are pointed at it with BaseEndpoint (S3 with
// UsePathStyle), so the checks exercise the SDK's own serialization, error
// handling, pagination and retries.
//
// One httptest server answers every service, each in its real wire
// protocol, chosen by the service in the SigV4 credential scope:
//
//   - S3: REST-XML (ListBuckets with max-buckets, continuation-token and
//     BucketRegion, GetBucketLocation, GetBucketPolicy, GetBucketAcl), with
//     S3's <Error> bodies.
//   - KMS, Secrets Manager, ECR and the tagging API: JSON 1.1 with
//     X-Amz-Target and {"__type": ...} errors.
//   - SQS: JSON 1.0 (AmazonSQS.*), query-compatible: errors also carry
//     x-amzn-query-error, as the SDK expects.
//   - SNS: Query, XML responses and <ErrorResponse> errors.
//   - Lambda: REST-JSON under /2015-03-31/functions, errors named in
//     X-Amzn-ErrorType.
//
// Requests act in the account whose access key signed them (State.Accounts'
// AccessKeyID; Credentials returns it) and in the region of the credential
// scope: regional services only see that region's resources, and S3 refuses
// bucket calls signed for another region than the bucket's with
// AuthorizationHeaderMalformed, as S3 does. Signatures are not verified.
//
// Options deny chosen services (per account and region) or, through the
// resources' Deny fields, single resources; throttle the first calls of
// each action; add latency; cap page sizes. Every call is logged, so tests
// can count calls per account and see how many were in flight at once.
package resources
