package tables

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchRows builds nUsers users and nActivity activity rows with every kind
// of column filled (times, nulls, lists, tags), deterministically.
func benchRows(nUsers, nActivity int) ([]User, []Activity) {
	t0 := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	users := make([]User, nUsers)
	for i := range users {
		acc := fmt.Sprintf("1%011d", i%5)
		name := fmt.Sprintf("user-%06d", i)
		u := User{
			AccountID: acc, UserName: name, UserID: fmt.Sprintf("AIDA%016d", i),
			ARN: "arn:aws:iam::" + acc + ":user/" + name, Path: "/",
			CreateDate:    t0.Add(-time.Duration(i%5000) * time.Hour),
			PasswordState: PasswordNA, Groups: []string{"dev"},
			ReportGeneratedAt: t0, InCredentialReport: true, InAuthorizationDetails: true,
			CredentialReportGiven: true, AuthorizationDetailsGiven: true, Source: "bench",
		}
		if i%2 == 0 {
			u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, u.CreateDate, t0.Add(-time.Duration(i%90)*time.Hour)
			u.Key1LastUsedRegion, u.Key1LastUsedService = "us-east-1", "s3"
		}
		if i%3 == 0 {
			u.PasswordEnabled, u.PasswordState, u.PasswordLastUsed = true, PasswordUsed, t0.Add(-time.Duration(i%700)*time.Hour)
			u.AttachedPolicies = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
		}
		if i%50 == 0 {
			u.Tags = []Tag{{Key: "dormant:exempt", Value: "true"}, {Key: "team", Value: "ops"}}
		}
		users[i] = u
	}
	activity := make([]Activity, nActivity)
	for j := range activity {
		u := &users[j%nUsers]
		last := t0.Add(-time.Duration(j%2000) * time.Minute)
		activity[j] = Activity{
			AccountID: u.AccountID, PrincipalID: u.UserID, ARN: u.ARN, UserName: u.UserName,
			FirstEvent: last.Add(-time.Duration(j%1000) * time.Hour), LastEvent: last, Events: int64(1 + j%500),
			LastEventName: "GetCallerIdentity", LastEventSource: "sts.amazonaws.com", LastSourceIP: "192.0.2.1",
			LastRegion: "us-east-1", AccessKeyIDs: []string{fmt.Sprintf("AKIA%016d", j%nUsers)},
		}
	}
	return users, activity
}

// BenchmarkCodec100k encodes and decodes the inventory of 100k users and
// 300k activity rows, as Arrow records and as Parquet files.
func BenchmarkCodec100k(b *testing.B) {
	users, activity := benchRows(100_000, 300_000)
	benchCodec(b, "users", users)
	benchCodec(b, "activity", activity)
}

func benchCodec[T any](b *testing.B, name string, rows []T) {
	b.Run(name+"/encode", func(b *testing.B) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			rec, err := Encode(mem, rows)
			if err != nil {
				b.Fatal(err)
			}
			rec.Release()
		}
	})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	rec, err := Encode(mem, rows)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	b.Run(name+"/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if out, err := Decode[T](rec); err != nil || len(out) != len(rows) {
				b.Fatalf("decoded %d rows: %v", len(out), err)
			}
		}
	})
	var file bytes.Buffer
	b.Run(name+"/parquet-write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			file.Reset()
			if err := EncodeParquet(&file, rows); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(name+"/parquet-read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if out, err := DecodeParquet[T](bytes.NewReader(file.Bytes())); err != nil || len(out) != len(rows) {
				b.Fatalf("read %d rows: %v", len(out), err)
			}
		}
	})
}
