variable "function_name" {
  description = "Name of the function: the FunctionName dimension, and the prefix of alarm, topic and dashboard names."
  type        = string
}

variable "metrics_namespace" {
  description = "Namespace of edge-host's EMF metrics (XGOALS_METRICS_NAMESPACE)."
  type        = string
}

variable "aws_region" {
  description = "Region the dashboard's widgets read."
  type        = string
}

variable "kms_key_arn" {
  description = "Key encrypting the alarm topic (its policy must admit CloudWatch)."
  type        = string
}

variable "dead_letter_target" {
  description = "Where dead letters go (XGOALS_DEAD_LETTER), named in the dead-letters alarm's description."
  type        = string
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic, or null."
  type        = string
  default     = null
}

variable "alarm_period_s" {
  description = "Period of every alarm's statistic and of the dashboard's widgets, in seconds."
  type        = number
}

variable "iterator_age_alarm_ms" {
  description = "IteratorAge maximum (ms) above which the iterator-age alarm fires."
  type        = number
}

variable "dead_letters_alarm_count" {
  description = "Dead letters per period above which the dead-letters alarm fires."
  type        = number
}

variable "invalid_share_alarm" {
  description = "InvalidShare above which the invalid-share alarm fires."
  type        = number
}

variable "psi_prediction_alarm" {
  description = "PsiPrediction above which (for three periods) the psi-prediction alarm fires."
  type        = number
}

variable "drift_share_alarm" {
  description = "DriftShare above which (for three periods) the drift-share alarm fires."
  type        = number
}
