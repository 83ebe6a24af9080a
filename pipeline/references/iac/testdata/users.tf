variable "prefix" {
  type = string
}

resource "aws_iam_user" "legacy" {
  name = "legacy-uploader"
  path = "/legacy/"
}

resource "aws_iam_user" "computed" {
  name = "${var.prefix}-deployer"
}

resource "aws_iam_group_membership" "ops" {
  name  = "ops"
  group = "ops"
  users = ["erin", aws_iam_user.legacy.name]
}

resource "aws_iam_user_policy_attachment" "legacy_ro" {
  user       = "legacy-uploader"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_s3_bucket" "b" {
  bucket = "legacy-uploader"
}
