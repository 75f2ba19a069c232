# The three streams were separate resources (input, output, dead_letter with count) before they
# became instances of aws_kinesis_stream.this: moved, not destroyed and re-created (a new stream
# starts empty; producers' and consumers' records would be lost). Harmless for a new state. Remove
# once no state holds the old addresses. (The root's moved.tf moves the older flat layout's
# streams to the old addresses here; Terraform follows the chain.)

moved {
  from = aws_kinesis_stream.input
  to   = aws_kinesis_stream.this["input"]
}

moved {
  from = aws_kinesis_stream.output
  to   = aws_kinesis_stream.this["output"]
}

moved {
  from = aws_kinesis_stream.dead_letter[0]
  to   = aws_kinesis_stream.this["dead_letter"]
}
