// The fixed key pair and region s3rver checks signatures against: apart from local-s3.ts, so the
// test kit can configure clients without loading s3rver itself.
export const LOCAL_S3_ACCESS_KEY_ID = 'S3RVER'
export const LOCAL_S3_SECRET_ACCESS_KEY = 'S3RVER'
export const LOCAL_S3_REGION = 'us-east-1'
