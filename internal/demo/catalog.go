package demo

// An event template. Request and response bodies are JSON texts with
// placeholders the renderer fills per record (see expand): they cover every
// shape CloudTrail produces: null, {}, nested objects and lists, numbers,
// booleans, and plain strings where an object is usual.
type tmpl struct {
	src    string // eventSource
	name   string // eventName
	ro     bool
	global bool   // a global service: logged in us-east-1 only
	req    string // "null", a JSON object, or a JSON string
	resp   string
	res    string // resources array, or ""
	add    string // additionalEventData, or ""
	w      int    // weight among background events
	errs   string // error code family: "ec2", "rest" (AccessDenied), "json" (AccessDeniedException)
	host   string // the global endpoint, src.amazonaws.com (set by init)
}

func init() {
	for i := range catalog {
		catalog[i].host = catalog[i].src + ".amazonaws.com"
	}
}

var catalog = []tmpl{
	// EC2
	{src: "ec2", name: "DescribeInstances", ro: true, w: 12, errs: "ec2", req: `{"instancesSet":{},"filterSet":{"items":[{"name":"tag:Environment","valueSet":{"items":[{"value":"prod"}]}}]}}`, resp: `null`},
	{src: "ec2", name: "DescribeInstances", ro: true, w: 6, errs: "ec2", req: `{"maxResults":1000,"instancesSet":{"items":[{"instanceId":"$I"}]},"filterSet":{}}`, resp: `null`},
	{src: "ec2", name: "DescribeSecurityGroups", ro: true, w: 5, errs: "ec2", req: `{"DescribeSecurityGroupsRequest":{"GroupId":{"tag":1,"content":"$X"}}}`, resp: `null`},
	{src: "ec2", name: "DescribeVolumes", ro: true, w: 3, errs: "ec2", req: `{"volumeSet":{},"filterSet":{"items":[{"name":"attachment.instance-id","valueSet":{"items":[{"value":"$I"}]}}]}}`, resp: `null`},
	{src: "ec2", name: "DescribeRegions", ro: true, w: 2, errs: "ec2", req: `{"regionSet":{},"allRegions":false}`, resp: `null`},
	{src: "ec2", name: "DescribeAvailabilityZones", ro: true, w: 2, errs: "ec2", req: `{"availabilityZoneSet":{},"availabilityZoneIdSet":{}}`, resp: `null`},
	{src: "ec2", name: "CreateTags", w: 1, errs: "ec2", req: `{"resourcesSet":{"items":[{"resourceId":"$I"}]},"tagSet":{"items":[{"key":"Owner","value":"platform"}]}}`, resp: `{"requestId":"$U","_return":true}`},
	{src: "ec2", name: "RunInstances", w: 1, errs: "ec2",
		req:  `{"instancesSet":{"items":[{"imageId":"ami-0$h","minCount":1,"maxCount":1}]},"instanceType":"t3.medium","blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"$U","subnetId":"$S","tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"batch-$H"}]}]}}`,
		resp: `{"requestId":"$U","reservationId":"r-0$h","ownerId":"$A","groupSet":{},"instancesSet":{"items":[{"instanceId":"$I","imageId":"ami-0$h","currentInstanceBootMode":"uefi","instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-10-0-$n-$n.ec2.internal","amiLaunchIndex":0,"productCodes":{},"instanceType":"t3.medium","launchTime":$m,"placement":{"availabilityZone":"$Ga","tenancy":"default"},"monitoring":{"state":"disabled"},"subnetId":"$S","vpcId":"$V","privateIpAddress":"10.0.$n.$n","stateReason":{"code":"pending","message":"pending"},"architecture":"x86_64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","hypervisor":"xen","tagSet":{"items":[{"key":"Name","value":"batch-$H"}]},"groupSet":{"items":[{"groupId":"$X","groupName":"default"}]},"sourceDestCheck":true,"networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-0$h","subnetId":"$S","vpcId":"$V","ownerId":"$A","status":"in-use","macAddress":"0e:$n:$n:$n:$n:$n","privateIpAddress":"10.0.$n.$n","sourceDestCheck":true,"interfaceType":"interface","groupSet":{"items":[{"groupId":"$X","groupName":"default"}]},"attachment":{"attachmentId":"eni-attach-0$h","deviceIndex":0,"networkCardIndex":0,"status":"attaching","attachTime":$m,"deleteOnTermination":true},"privateIpAddressesSet":{"item":[{"privateIpAddress":"10.0.$n.$n","primary":true}]},"ipv6AddressesSet":{},"tagSet":{}}]},"ebsOptimized":false,"enaSupport":true,"cpuOptions":{"coreCount":1,"threadsPerCore":2},"capacityReservationSpecification":{"capacityReservationPreference":"open"},"enclaveOptions":{"enabled":false},"metadataOptions":{"state":"pending","httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled","httpProtocolIpv4":"enabled","httpProtocolIpv6":"disabled","instanceMetadataTags":"disabled"},"maintenanceOptions":{"autoRecovery":"default"},"privateDnsNameOptions":{"hostnameType":"ip-name","enableResourceNameDnsARecord":false,"enableResourceNameDnsAAAARecord":false}}]},"requesterId":"$A"}`},
	// S3 (bucket-level management events)
	{src: "s3", name: "ListBuckets", ro: true, w: 3, errs: "rest", req: `{"Host":"s3.amazonaws.com"}`, resp: `null`,
		add: `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"$h$h$h","bytesTransferredOut":$n}`},
	{src: "s3", name: "GetBucketAcl", ro: true, w: 4, errs: "rest", req: `{"bucketName":"$B","Host":"$B.s3.$G.amazonaws.com","acl":""}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::$B"}]`,
		add: `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"$h$h$h","bytesTransferredOut":$n}`},
	{src: "s3", name: "GetBucketLocation", ro: true, w: 2, errs: "rest", req: `{"bucketName":"$B","Host":"$B.s3.amazonaws.com","location":""}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::$B"}]`},
	{src: "s3", name: "GetBucketPolicy", ro: true, w: 2, errs: "rest", req: `{"bucketName":"$B","Host":"$B.s3.$G.amazonaws.com","policy":""}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::$B"}]`},
	{src: "s3", name: "GetBucketVersioning", ro: true, w: 1, errs: "rest", req: `{"bucketName":"$B","Host":"$B.s3.$G.amazonaws.com","versioning":""}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::$B"}]`},
	// STS
	{src: "sts", name: "GetCallerIdentity", ro: true, w: 4, errs: "rest", req: `null`, resp: `null`},
	{src: "sts", name: "GetSessionToken", ro: true, w: 0, errs: "rest", req: `{"durationSeconds":43200}`, resp: `{"credentials":{"accessKeyId":"$Q","sessionToken":"$t","expiration":"$e"}}`},
	// KMS
	{src: "kms", name: "Decrypt", ro: true, w: 8, errs: "json", req: `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:$G:$A:function:$F"}}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::KMS::Key","ARN":"arn:aws:kms:$G:$A:key/$k"}]`},
	{src: "kms", name: "GenerateDataKey", ro: true, w: 4, errs: "json", req: `{"keyId":"arn:aws:kms:$G:$A:key/$k","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::$B/exports/$H.parquet"},"keySpec":"AES_256"}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::KMS::Key","ARN":"arn:aws:kms:$G:$A:key/$k"}]`},
	// IAM (global, us-east-1)
	{src: "iam", name: "GetRole", ro: true, global: true, w: 2, errs: "rest", req: `{"roleName":"$R"}`, resp: `null`},
	{src: "iam", name: "ListRoles", ro: true, global: true, w: 1, errs: "rest", req: `{"pathPrefix":"/"}`, resp: `null`},
	{src: "iam", name: "ListAttachedRolePolicies", ro: true, global: true, w: 1, errs: "rest", req: `{"roleName":"$R"}`, resp: `null`},
	{src: "iam", name: "GetAccountSummary", ro: true, global: true, w: 1, errs: "rest", req: `null`, resp: `null`},
	{src: "iam", name: "GenerateCredentialReport", global: true, w: 1, errs: "rest", req: `null`, resp: `null`},
	{src: "iam", name: "GetCredentialReport", ro: true, global: true, w: 1, errs: "rest", req: `null`, resp: `null`},
	// Lambda
	{src: "lambda", name: "ListFunctions20150331", ro: true, w: 1, errs: "json", req: `null`, resp: `null`},
	{src: "lambda", name: "GetFunction20150331v2", ro: true, w: 2, errs: "json", req: `{"functionName":"$F"}`, resp: `null`},
	{src: "lambda", name: "UpdateFunctionCode20150331v2", w: 1, errs: "json", req: `{"functionName":"$F","publish":true,"dryRun":false}`,
		resp: `{"functionName":"$F","functionArn":"arn:aws:lambda:$G:$A:function:$F","runtime":"python3.12","role":"arn:aws:iam::$A:role/$R","handler":"app.handler","codeSize":$m,"description":"","timeout":30,"memorySize":512,"lastModified":"$E","codeSha256":"$h$h","version":"$n","tracingConfig":{"mode":"PassThrough"},"revisionId":"$U","state":"Active","lastUpdateStatus":"InProgress","lastUpdateStatusReason":"The function is being created.","lastUpdateStatusReasonCode":"Creating","packageType":"Zip","architectures":["arm64"],"ephemeralStorage":{"size":512},"snapStart":{"applyOn":"None","optimizationStatus":"Off"},"runtimeVersionConfig":{"runtimeVersionArn":"arn:aws:lambda:$G::runtime:$h$h"},"loggingConfig":{"logFormat":"Text","logGroup":"/aws/lambda/$F"}}`},
	// CloudWatch Logs
	{src: "logs", name: "CreateLogStream", w: 6, errs: "json", req: `{"logGroupName":"/aws/lambda/$F","logStreamName":"$d/[$$LATEST]$h$h"}`, resp: `null`},
	{src: "logs", name: "DescribeLogGroups", ro: true, w: 1, errs: "json", req: `{"logGroupNamePrefix":"/aws/lambda/"}`, resp: `null`},
	// DynamoDB
	{src: "dynamodb", name: "DescribeTable", ro: true, w: 3, errs: "json", req: `{"tableName":"$T"}`, resp: `null`,
		res: `[{"accountId":"$A","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:$G:$A:table/$T"}]`},
	{src: "dynamodb", name: "ListTables", ro: true, w: 1, errs: "json", req: `{"limit":100}`, resp: `null`},
	// CloudFormation
	{src: "cloudformation", name: "DescribeStacks", ro: true, w: 2, errs: "rest", req: `{"stackName":"arn:aws:cloudformation:$G:$A:stack/app-$T/$U"}`, resp: `null`},
	{src: "cloudformation", name: "ListStacks", ro: true, w: 1, errs: "rest", req: `{"stackStatusFilter":["CREATE_COMPLETE","UPDATE_COMPLETE","UPDATE_ROLLBACK_COMPLETE"]}`, resp: `null`},
	// SSM
	{src: "ssm", name: "GetParameter", ro: true, w: 4, errs: "json", req: `{"name":"/app/prod/db-host","withDecryption":true}`, resp: `null`},
	{src: "ssm", name: "UpdateInstanceInformation", w: 5, errs: "json",
		req: `{"instanceId":"$I","agentVersion":"3.3.1142.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"10.0.$n.$n","computerName":"ip-10-0-$n-$n.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"$Ga","availabilityZoneId":"use1-az4","sSMConnectionChannel":"ssmmessages"}`, resp: `null`},
	// Secrets Manager, ECR, SQS
	{src: "secretsmanager", name: "GetSecretValue", ro: true, w: 3, errs: "json", req: `{"secretId":"arn:aws:secretsmanager:$G:$A:secret:prod/db-$H"}`, resp: `null`},
	{src: "ecr", name: "GetAuthorizationToken", ro: true, w: 2, errs: "json", req: `{"registryIds":["$A"]}`, resp: `null`},
	{src: "sqs", name: "ListQueues", ro: true, w: 1, errs: "json", req: `{"queueNamePrefix":"orders"}`, resp: `null`},
	// CloudWatch, Auto Scaling, ELB, Config
	{src: "monitoring", name: "DescribeAlarms", ro: true, w: 2, errs: "rest", req: `{"stateValue":"ALARM","maxRecords":100}`, resp: `null`},
	{src: "monitoring", name: "GetMetricData", ro: true, w: 2, errs: "rest", req: `{"metricDataQueries":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/EC2","metricName":"CPUUtilization","dimensions":[{"name":"InstanceId","value":"$I"}]},"period":300,"stat":"Average"},"returnData":true}],"startTime":"$E","endTime":"$E"}`, resp: `null`},
	{src: "autoscaling", name: "DescribeAutoScalingGroups", ro: true, w: 2, errs: "rest", req: `{"maxRecords":100}`, resp: `null`},
	{src: "elasticloadbalancing", name: "DescribeTargetHealth", ro: true, w: 2, errs: "rest", req: `{"targetGroupArn":"arn:aws:elasticloadbalancing:$G:$A:targetgroup/app-$T/$h"}`, resp: `null`},
	{src: "config", name: "PutEvaluations", w: 2, errs: "json", req: `{"evaluations":[{"complianceResourceType":"AWS::EC2::Instance","complianceResourceId":"$I","complianceType":"COMPLIANT","orderingTimestamp":"$E"}],"resultToken":"$h$h$h$h","testMode":false}`, resp: `{"failedEvaluations":[]}`},
	// Global read-only services used from the console.
	{src: "health", name: "DescribeEventAggregates", ro: true, global: true, w: 1, errs: "json", req: `{"filter":{"eventStatusCodes":["open","upcoming"],"startTimes":[{"from":"$E"}]},"aggregateField":"eventTypeCategory"}`, resp: `null`},
	{src: "ce", name: "GetCostAndUsage", ro: true, global: true, w: 1, errs: "json", req: `{"timePeriod":{"start":"$d","end":"$d"},"granularity":"DAILY","metrics":["UnblendedCost"]}`, resp: `null`},
	{src: "cloudtrail", name: "LookupEvents", ro: true, w: 1, errs: "json", req: `{"lookupAttributes":[{"attributeKey":"ReadOnly","attributeValue":"false"}],"maxResults":50}`, resp: `null`},
	// A request body CloudTrail redacted to a plain string.
	{src: "sso", name: "GetRoleCredentials", ro: true, w: 1, errs: "json", req: `"HIDDEN_DUE_TO_SECURITY_REASONS"`, resp: `{"roleCredentials":{"accessKeyId":"$Q","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS","sessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS","expiration":$m}}`},
}

// Service groups for a user's key and federated sessions; namespace is what
// the credential report prints as the key's last-used service.
type svcGroup struct {
	namespace string
	global    bool
	tmpls     []int
}

var serviceGroups = func() []svcGroup {
	gs := []svcGroup{
		{namespace: "ec2"}, {namespace: "s3"}, {namespace: "dynamodb"}, {namespace: "sts"},
		{namespace: "lambda"}, {namespace: "ssm"}, {namespace: "kms"}, {namespace: "cloudformation"},
		{namespace: "ecr"}, {namespace: "logs"}, {namespace: "iam", global: true},
	}
	for i, t := range catalog {
		if t.w == 0 && t.name != "GetSessionToken" {
			continue
		}
		for g := range gs {
			if gs[g].namespace == t.src {
				gs[g].tmpls = append(gs[g].tmpls, i)
			}
		}
	}
	return gs
}()

// grpSTS indexes the "sts" group in serviceGroups (TestCatalog checks it).
const grpSTS uint8 = 3

// regionTemplates lists, per region, the catalog entries that may appear
// there, with cumulative weights for background picks; roTemplates holds the
// read-only ones (console browsing).
type regionCatalog struct {
	idx []int
	cum []int
	ro  []int
}

var regionCatalogs = func() []regionCatalog {
	out := make([]regionCatalog, len(regions))
	for r := range regions {
		c := &out[r]
		total := 0
		for i, t := range catalog {
			if t.global && r != rUSEast1 {
				continue
			}
			if t.w > 0 {
				total += t.w
				c.idx = append(c.idx, i)
				c.cum = append(c.cum, total)
			}
			if t.ro && t.w > 0 && t.src != "sso" {
				c.ro = append(c.ro, i)
			}
		}
	}
	return out
}()

var userAgents = []string{
	"aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#sts.get-caller-identity",
	"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off command/s3.ls",
	"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144",
	"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0",
	"aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
	"APN/1.0 HashiCorp/1.0 Terraform/1.9.2 (+https://www.terraform.io) terraform-provider-aws/5.59.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3",
	"aws-sdk-nodejs/2.1659.0 linux/v20.15.1 exec-env/AWS_Lambda_nodejs20.x promise",
}

var browserAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
}
