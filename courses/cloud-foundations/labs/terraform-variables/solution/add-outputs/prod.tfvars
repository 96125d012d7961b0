region      = "eu-west-1"
bucket_name = "acme-prod-logs-eu-west-1"
environment = "prod"
