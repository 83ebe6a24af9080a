package local

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/klauspost/compress/gzip"
)

// The benchmarks scan a generated trail; its size is set with
//
//	go test ./pipeline/activity/local -run '^$' -bench 'LocalScan|GzipDecompress' -scan.events 1000000
//
// Both generate the same files (the generator is deterministic), so their
// events/s and MB/s compare the scan with plain decompression.
var scanEvents = flag.Int("scan.events", 1_000_000, "events in the trail the scan benchmarks generate")

// The generated trail: 2 accounts (one in the organization layout) x 2
// regions x 3 days, files of benchEventsPerFile events.
var (
	benchAccounts = []struct{ id, prefix string }{
		{"111111111111", "AWSLogs/111111111111"},
		{"222222222222", "AWSLogs/o-benchorg0001/222222222222"},
	}
	benchRegions       = []string{"us-east-1", "eu-west-1"}
	benchDays          = []time.Time{trailtest.TS("2026-10-01T00:00:00Z"), trailtest.TS("2026-10-02T00:00:00Z"), trailtest.TS("2026-10-03T00:00:00Z")}
	benchEventsPerFile = 2000
	benchUsers         = 2000 // IAM users per account
)

type benchTrail struct {
	files     []string
	events    int64 // records written
	jsonBytes int64 // uncompressed
	gzBytes   int64
}

func BenchmarkLocalScan(b *testing.B) {
	dir := b.TempDir()
	tr := generateBenchTrail(b, dir, *scanEvents)
	eng := NewLocal(dir, WithLogger(trailtest.Quiet()))
	q := activity.Query{Start: benchDays[0], End: benchDays[len(benchDays)-1].Add(24*time.Hour - time.Second)}
	cpu := processCPU() // DuckDB's threads are this process's
	for b.Loop() {
		res, err := eng.Run(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		var records int64
		for _, c := range res.Coverage {
			records += c.Events
		}
		if records != tr.events || len(res.Activity) == 0 || res.Runs[0].Files != len(tr.files) {
			b.Fatalf("scanned %d records in %d files into %d activity rows; the trail has %d in %d files",
				records, res.Runs[0].Files, len(res.Activity), tr.events, len(tr.files))
		}
	}
	tr.report(b, processCPU()-cpu)
}

// BenchmarkGzipDecompress is the reference for BenchmarkLocalScan: the same
// files through `gzip -dc`, two processes in parallel, output discarded.
func BenchmarkGzipDecompress(b *testing.B) {
	gz, err := exec.LookPath("gzip")
	if err != nil {
		b.Skip("gzip is not on PATH")
	}
	dir := b.TempDir()
	tr := generateBenchTrail(b, dir, *scanEvents)
	const procs, batch = 2, 200
	cpu := childrenCPU()
	for b.Loop() {
		jobs := make(chan []string)
		errs := make(chan error, procs)
		var wg sync.WaitGroup
		for range procs {
			wg.Go(func() {
				for files := range jobs {
					cmd := exec.Command(gz, append([]string{"-dc"}, files...)...)
					// Stdout stays nil, the null device; CombinedOutput would
					// capture the decompressed text through a pipe and time that.
					var stderr strings.Builder
					cmd.Stderr = &stderr
					if err := cmd.Run(); err != nil {
						errs <- fmt.Errorf("gzip -dc: %v: %s", err, stderr.String())
						return
					}
				}
			})
		}
		for i := 0; i < len(tr.files); i += batch {
			jobs <- tr.files[i:min(i+batch, len(tr.files))]
		}
		close(jobs)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	tr.report(b, childrenCPU()-cpu)
}

// report adds throughput metrics, and the CPU time per operation, which a
// busy shared machine disturbs less than the elapsed time.
func (tr benchTrail) report(b *testing.B, cpu time.Duration) {
	secs := b.Elapsed().Seconds()
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
	b.ReportMetric(float64(tr.events)*float64(b.N)/secs, "events/s")
	b.ReportMetric(float64(tr.jsonBytes)*float64(b.N)/secs/1e6, "MB/s")
	b.ReportMetric(float64(tr.jsonBytes)/1e6, "MB_json")
	b.ReportMetric(float64(tr.gzBytes)/1e6, "MB_gz")
}

// generateBenchTrail writes a trail of about n events under dir, in parallel.
// It is deterministic: the same n gives the same files.
func generateBenchTrail(b testing.TB, dir string, n int) benchTrail {
	type job struct {
		path       string
		account    string
		region     string
		day        time.Time
		seed, size int
	}
	groups := len(benchAccounts) * len(benchRegions) * len(benchDays)
	perGroup := max(1, n/groups)
	var jobs []job
	for _, a := range benchAccounts {
		for _, r := range benchRegions {
			for _, d := range benchDays {
				for i := 0; i*benchEventsPerFile < perGroup; i++ {
					size := min(benchEventsPerFile, perGroup-i*benchEventsPerFile)
					at := d.Add(time.Duration(i*5) * time.Minute)
					name := fmt.Sprintf("%s_CloudTrail_%s_%s_%016d.json.gz", a.id, r, at.Format("20060102T1504Z"), len(jobs))
					jobs = append(jobs, job{
						path:    filepath.Join(dir, filepath.FromSlash(a.prefix), "CloudTrail", r, d.Format("2006/01/02"), name),
						account: a.id, region: r, day: d, seed: len(jobs), size: size,
					})
				}
			}
		}
	}
	tr := benchTrail{files: make([]string, len(jobs))}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		next = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf []byte
			for i := range next {
				j := jobs[i]
				buf = appendBenchFile(buf[:0], j.account, j.region, j.day, j.seed, j.size)
				gzSize, err := writeGzip(j.path, buf)
				mu.Lock()
				tr.files[i] = j.path
				tr.events += int64(j.size)
				tr.jsonBytes += int64(len(buf))
				tr.gzBytes += gzSize
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	return tr
}

func writeGzip(path string, data []byte) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	zw := gzip.NewWriter(f) // default level, as CloudTrail's files are
	if _, err := zw.Write(data); err != nil {
		f.Close()
		return 0, err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return info.Size(), f.Close()
}

// appendBenchFile appends a CloudTrail file of n records: mostly role
// sessions and services, as in real trails, with IAM users' API calls,
// console sign-ins (some failed), federated sessions, cross-account calls,
// root, errors and a few duplicate deliveries.
func appendBenchFile(buf []byte, account, region string, day time.Time, seed, n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	buf = append(buf, `{"Records":[`...)
	var lastID []byte
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		at := day.Add(time.Duration(int64(i) * int64(24*time.Hour) / int64(n)))
		id := benchUUID(rng)
		if lastID != nil && rng.IntN(500) == 0 {
			id = lastID // a duplicate delivery
		}
		lastID = id
		user := rng.IntN(benchUsers)
		userName := "user" + strconv.Itoa(user)
		userID := fmt.Sprintf("AIDA%s%09d", account[:8], user)
		key := fmt.Sprintf("AKIA%s%08d", account[:8], user)
		arn := "arn:aws:iam::" + account + ":user/" + userName

		buf = append(buf, `{"eventVersion":"1.09","userIdentity":`...)
		eventSource, eventName := "ec2.amazonaws.com", "DescribeInstances"
		var extra string
		switch p := rng.IntN(1000); {
		case p < 550: // role session
			role := "role" + strconv.Itoa(rng.IntN(50))
			buf = fmt.Appendf(buf, `{"type":"AssumedRole","principalId":"AROA%s%09d:session-%d","arn":"arn:aws:sts::%s:assumed-role/%s/session-%d","accountId":"%s","accessKeyId":"ASIA%016d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA%s%09d","arn":"arn:aws:iam::%s:role/%s","accountId":"%s","userName":"%s"},"webIdFederationData":{},"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}}`,
				account[:8], user%50, i, account, role, i, account, rng.Int64N(1e16), account[:8], user%50, account, role, account, role, at.Add(-time.Hour).Format(time.RFC3339))
			api := benchAPIs[rng.IntN(len(benchAPIs))]
			eventSource, eventName = api[0], api[1]
		case p < 700: // a service acting for itself
			buf = append(buf, `{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`...)
			eventSource, eventName = "kms.amazonaws.com", "Decrypt"
		case p < 900: // an IAM user's API call
			buf = fmt.Appendf(buf, `{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s","userName":"%s"}`, userID, arn, account, key, userName)
			eventSource, eventName = benchAPIs[user%len(benchAPIs)][0], benchAPIs[user%len(benchAPIs)][1]
			if rng.IntN(20) == 0 {
				extra = `,"errorCode":"AccessDenied","errorMessage":"User: ` + arn + ` is not authorized to perform this action"`
			}
		case p < 930: // console sign-in
			buf = fmt.Appendf(buf, `{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"","userName":"%s"}`, userID, arn, account, userName)
			eventSource, eventName = "signin.amazonaws.com", "ConsoleLogin"
			extra = `,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"}`
		case p < 940: // failed sign-in
			buf = fmt.Appendf(buf, `{"type":"IAMUser","principalId":"%s","accountId":"%s","accessKeyId":"","userName":"%s"}`, userID, account, userName)
			eventSource, eventName = "signin.amazonaws.com", "ConsoleLogin"
			extra = `,"errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}`
		case p < 945: // unknown name
			buf = fmt.Appendf(buf, `{"type":"IAMUser","accountId":"%s","accessKeyId":"","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, account)
			eventSource, eventName = "signin.amazonaws.com", "ConsoleLogin"
			extra = `,"errorMessage":"No username found in supplied account","responseElements":{"ConsoleLogin":"Failure"}`
		case p < 965: // federated session
			buf = fmt.Appendf(buf, `{"type":"FederatedUser","principalId":"%s:fed-%d","arn":"arn:aws:sts::%s:federated-user/fed-%d","accountId":"%s","accessKeyId":"ASIA%016d","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","userName":"%s"},"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}}`,
				account, user, account, user, account, rng.Int64N(1e16), userID, arn, account, userName, at.Add(-time.Hour).Format(time.RFC3339))
			eventSource, eventName = "s3.amazonaws.com", "ListBuckets"
		case p < 985: // cross-account call by another account's user
			other := benchAccounts[0].id
			if other == account {
				other = benchAccounts[1].id
			}
			buf = fmt.Appendf(buf, `{"type":"AWSAccount","principalId":"AIDA%s%09d","accountId":"%s"}`, other[:8], user, other)
			eventSource, eventName = "sts.amazonaws.com", "AssumeRole"
		default: // root
			buf = fmt.Appendf(buf, `{"type":"Root","principalId":"%s","arn":"arn:aws:iam::%s:root","accountId":"%s","accessKeyId":""}`, account, account, account)
			eventSource, eventName = "iam.amazonaws.com", "GetAccountSummary"
		}
		buf = fmt.Appendf(buf, `,"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"203.0.%d.%d","userAgent":"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe"`,
			at.Format(time.RFC3339), eventSource, eventName, region, rng.IntN(256), rng.IntN(256))
		switch rng.IntN(3) {
		case 0:
			buf = fmt.Appendf(buf, `,"requestParameters":{"instancesSet":{"items":[{"instanceId":"i-%017x"}]},"filterSet":{"items":[{"name":"tag:team","valueSet":{"items":[{"value":"platform"}]}}]},"maxResults":%d}`, rng.Int64(), rng.IntN(1000))
		case 1:
			buf = append(buf, `,"requestParameters":null`...)
		default:
			buf = fmt.Appendf(buf, `,"requestParameters":{"bucketName":"example-bucket-%d","Host":"example-bucket-%d.s3.%s.amazonaws.com","acl":""}`, user, user, region)
		}
		if extra == "" {
			buf = append(buf, `,"responseElements":null`...)
		}
		buf = append(buf, extra...)
		buf = fmt.Appendf(buf, `,"requestID":"%016X","eventID":"%s","readOnly":true,"resources":[{"accountId":"%s","type":"AWS::KMS::Key","ARN":"arn:aws:kms:%s:%s:key/%s"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"}}`,
			rng.Uint64(), id, account, region, account, benchUUID(rng), account, eventSource)
	}
	return append(buf, "]}"...)
}

var benchAPIs = [][2]string{
	{"ec2.amazonaws.com", "DescribeInstances"}, {"s3.amazonaws.com", "GetBucketAcl"}, {"iam.amazonaws.com", "ListUsers"},
	{"sts.amazonaws.com", "GetCallerIdentity"}, {"lambda.amazonaws.com", "ListFunctions20150331"}, {"kms.amazonaws.com", "GenerateDataKey"},
	{"dynamodb.amazonaws.com", "DescribeTable"}, {"logs.amazonaws.com", "DescribeLogGroups"},
}

func benchUUID(rng *rand.Rand) []byte {
	a, c := rng.Uint64(), rng.Uint64()
	return fmt.Appendf(nil, "%08x-%04x-4%03x-8%03x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, c>>52, c&0xffffffffffff)
}
