variable "name_prefix" {
  description = "Prefix of the stream names: <prefix>-shots, <prefix>-predictions, <prefix>-dead-letters."
  type        = string
}

variable "input_stream_mode" {
  description = "Capacity mode of the input stream: ON_DEMAND or PROVISIONED."
  type        = string
}

variable "input_shard_count" {
  description = "Shards of the input stream when PROVISIONED (ignored for ON_DEMAND)."
  type        = number
}

variable "output_stream_mode" {
  description = "Capacity mode of the output and dead-letter streams: ON_DEMAND or PROVISIONED."
  type        = string
}

variable "output_shard_count" {
  description = "Shards of the output and dead-letter streams when PROVISIONED."
  type        = number
}

variable "retention_hours" {
  description = "Retention of every stream in hours (24 to 8760)."
  type        = number
}

variable "create_dead_letter_stream" {
  description = "Create the dead-letter stream (the function's dead letters go to Kinesis rather than S3)."
  type        = bool
}
