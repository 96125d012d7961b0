variable "region" {
  description = "AWS region to create the log bucket in"
  type        = string
  default     = "eu-west-1"
}

variable "bucket_name" {
  description = "Globally unique name of the log bucket"
  type        = string
}

variable "environment" {
  description = "Deployment environment, used in tags"
  type        = string

  validation {
    condition     = contains(["dev", "test", "prod"], var.environment)
    error_message = "The environment must be dev, test or prod."
  }
}
