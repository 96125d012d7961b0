output "bucket_arn" {
  description = "ARN of the log bucket, for use in IAM policies"
  value       = aws_s3_bucket.logs.arn
}

output "bucket_name" {
  description = "Name of the log bucket"
  value       = aws_s3_bucket.logs.bucket
}
