output "input_stream_name" {
  description = "Name of the input (shots) stream."
  value       = aws_kinesis_stream.this["input"].name
}

output "input_stream_arn" {
  description = "ARN of the input stream (the event source mapping reads it)."
  value       = aws_kinesis_stream.this["input"].arn
}

output "output_stream_name" {
  description = "Name of the output (predictions) stream: XGOALS_OUTPUT_STREAM."
  value       = aws_kinesis_stream.this["output"].name
}

output "output_stream_arn" {
  description = "ARN of the output stream."
  value       = aws_kinesis_stream.this["output"].arn
}

output "dead_letter_stream_names" {
  description = "Name of the dead-letter stream, as a list: empty when dead letters go to S3."
  value       = [for key, stream in aws_kinesis_stream.this : stream.name if key == "dead_letter"]
}

output "dead_letter_stream_arns" {
  description = "ARN of the dead-letter stream, as a list: empty when dead letters go to S3."
  value       = [for key, stream in aws_kinesis_stream.this : stream.arn if key == "dead_letter"]
}
