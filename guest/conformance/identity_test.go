package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"faaster.dev/guest/protocol"
)

func TestSetIdentityValidation(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	ok := protocol.IdentityRequest{InstanceID: "i-1", Hostname: "fn-1"}
	with := func(change func(*protocol.IdentityRequest)) protocol.IdentityRequest {
		r := ok
		change(&r)
		return r
	}
	cases := []struct {
		name    string
		req     protocol.IdentityRequest
		entropy int
	}{
		{"no instanceId", with(func(r *protocol.IdentityRequest) { r.InstanceID = "" }), 64},
		{"instanceId starts with a dash", with(func(r *protocol.IdentityRequest) { r.InstanceID = "-i" }), 64},
		{"instanceId starts with a dot", with(func(r *protocol.IdentityRequest) { r.InstanceID = ".i" }), 64},
		{"instanceId with a slash", with(func(r *protocol.IdentityRequest) { r.InstanceID = "a/b" }), 64},
		{"instanceId of 129 chars", with(func(r *protocol.IdentityRequest) { r.InstanceID = strings.Repeat("a", 129) }), 64},
		{"no hostname", with(func(r *protocol.IdentityRequest) { r.Hostname = "" }), 64},
		{"hostname with an underscore", with(func(r *protocol.IdentityRequest) { r.Hostname = "fn_1" }), 64},
		{"hostname starting with a dash", with(func(r *protocol.IdentityRequest) { r.Hostname = "-fn" }), 64},
		{"hostname of 65 chars", with(func(r *protocol.IdentityRequest) {
			r.Hostname = strings.Repeat("a", 32) + "." + strings.Repeat("b", 32)
		}), 64},
		{"no entropy", ok, 0},
		{"31 bytes of entropy", ok, 31},
		{"4097 bytes of entropy", ok, 4097},
		{"ip not an address", with(func(r *protocol.IdentityRequest) { r.IP, r.Prefix = "300.1.2.3", 24 }), 64},
		{"ip without prefix", with(func(r *protocol.IdentityRequest) { r.IP = "10.0.0.2" }), 64},
		{"ipv4 prefix 33", with(func(r *protocol.IdentityRequest) { r.IP, r.Prefix = "10.0.0.2", 33 }), 64},
		{"ipv6 prefix 129", with(func(r *protocol.IdentityRequest) { r.IP, r.Prefix = "fd00::2", 129 }), 64},
		{"gateway without ip", with(func(r *protocol.IdentityRequest) { r.Gateway = "10.0.0.1" }), 64},
		{"gateway not an address", with(func(r *protocol.IdentityRequest) { r.IP, r.Prefix, r.Gateway = "10.0.0.2", 24, "gw" }), 64},
		{"mac not a mac", with(func(r *protocol.IdentityRequest) { r.MAC = "zz:zz:zz:zz:zz:zz" }), 64},
		{"mac of 64 bits", with(func(r *protocol.IdentityRequest) { r.MAC = "02:00:00:00:00:00:00:01" }), 64},
		{"interface with a space", with(func(r *protocol.IdentityRequest) { r.Interface = "eth 0" }), 64},
		{"interface of 16 chars", with(func(r *protocol.IdentityRequest) { r.Interface = strings.Repeat("e", 16) }), 64},
		{"negative clock", with(func(r *protocol.IdentityRequest) { r.UnixTimeMs = -1 }), 64},
	}
	for _, tc := range cases {
		f, err := a.call(t, protocol.TypeSetIdentity, tc.req, entropy(t, tc.entropy))
		wantError(t, tc.name, f, err, protocol.CodeInvalidRequest)
	}
	if st := a.ping(t); st.InstanceID != "" || st.Busy {
		t.Fatalf("invalid identities changed the status: %+v", st)
	}

	// Valid after all that; then an invalid one leaves the valid identity in place.
	rep := a.setIdentity(t, "i-7.a_b", "fn-7.example")
	if rep.InstanceID != "i-7.a_b" {
		t.Fatalf("reply %+v", rep)
	}
	f, err := a.call(t, protocol.TypeSetIdentity, protocol.IdentityRequest{InstanceID: "i-8", Hostname: "bad host"}, entropy(t, 64))
	wantError(t, "invalid after valid", f, err, protocol.CodeInvalidRequest)
	if st := a.ping(t); st.InstanceID != "i-7.a_b" {
		t.Fatalf("an invalid SET_IDENTITY replaced the instance: %+v", st)
	}
}

func TestSetIdentityValid(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	f, err := a.call(t, protocol.TypeSetIdentity, protocol.IdentityRequest{InstanceID: "i-7", Hostname: "fn-7"}, entropy(t, 64))
	var rep protocol.IdentityReply
	mustReply(t, protocol.TypeSetIdentity, f, err, &rep)
	if rep.InstanceID != "i-7" || rep.Hostname != "fn-7" || rep.Network != protocol.NetworkNotRequested || rep.EntropyBytes != 64 {
		t.Fatalf("IDENTITY_SET %+v: want i-7, fn-7, network not_requested, 64 entropy bytes", rep)
	}
	if st := a.ping(t); st.InstanceID != "i-7" {
		t.Fatalf("PING after SET_IDENTITY: %+v", st)
	}

	// Idempotent, and the entropy bounds are inclusive.
	for _, n := range []int{protocol.MinEntropy, protocol.MaxEntropy} {
		f, err := a.call(t, protocol.TypeSetIdentity, protocol.IdentityRequest{InstanceID: "i-7", Hostname: "fn-7"}, entropy(t, n))
		var rep protocol.IdentityReply
		mustReply(t, protocol.TypeSetIdentity, f, err, &rep)
		if rep.EntropyBytes != n || rep.InstanceID != "i-7" {
			t.Fatalf("%d entropy bytes: %+v", n, rep)
		}
	}

	// Every optional field, valid (with -guest=false nothing is applied to this machine).
	long := strings.Repeat("x", 127)
	full := protocol.IdentityRequest{InstanceID: "A" + long, Hostname: strings.Repeat("h", 56) + ".example", // 64 chars: the limit
		IP: "fd00::7", Prefix: 64, Gateway: "fd00::1", MAC: "02:00:00:00:00:07", Interface: "eth0", UnixTimeMs: 1_700_000_000_000}
	f, err = a.call(t, protocol.TypeSetIdentity, full, entropy(t, 64))
	mustReply(t, protocol.TypeSetIdentity, f, err, &rep)
	if rep.InstanceID != full.InstanceID || rep.Hostname != full.Hostname {
		t.Fatalf("full identity: %+v", rep)
	}
	if st := a.ping(t); st.InstanceID != full.InstanceID {
		t.Fatalf("PING after the full identity: %+v", st)
	}
}

// Code unpacked from a zip goes below <code root>/<instance id or "unassigned">/.
func TestCodeDirectoryFollowsInstance(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	under := func(dir, parent string) bool {
		rel, err := filepath.Rel(parent, dir)
		return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !strings.Contains(rel, "/")
	}
	lr := a.loadScript(t, "printf \"$FAASTER_INSTANCE_ID\"\n")
	if !under(lr.CodeDir, filepath.Join(a.codeRoot, "unassigned")) {
		t.Fatalf("code dir %s before SET_IDENTITY: want a directory in %s/unassigned", lr.CodeDir, a.codeRoot)
	}
	a.setIdentity(t, "i-42", "fn-42")
	lr = a.loadScript(t, "printf \"$FAASTER_INSTANCE_ID\"\n")
	if !under(lr.CodeDir, filepath.Join(a.codeRoot, "i-42")) {
		t.Fatalf("code dir %s: want a directory in %s/i-42", lr.CodeDir, a.codeRoot)
	}
	a.wantOutput(t, "FAASTER_INSTANCE_ID", nil, "i-42")
}
