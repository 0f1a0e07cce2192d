package report

import "testing"

func TestVerdictAndExitCode(t *testing.T) {
	forbidden := Check{Code: "X4", Status: Skip, Message: "skipped", Forbidden: &Permission{Verb: "list", Resource: "pods", Namespace: "a"}}
	tests := []struct {
		name    string
		checks  []Check
		outcome Outcome
		code    string
		message string
		exit    int
	}{
		{"all pass", []Check{{Code: "X1", Status: Pass}}, OK, "", "No problem found", 0},
		{"first fail wins", []Check{{Code: "X1", Status: Warn, Message: "w"}, {Code: "X2", Status: Fail, Message: "root"}, {Code: "X3", Status: Fail, Message: "later"}}, Problems, "X2", "root", 1},
		{"error without fail is incomplete", []Check{{Code: "X1", Status: Pass}, {Code: "X2", Status: Error, Message: "boom"}}, Incomplete, "X2", "Could not finish the diagnosis: boom", 2},
		{"fail beats error", []Check{{Code: "X1", Status: Error, Message: "boom"}, {Code: "X2", Status: Fail, Message: "bad"}}, Problems, "X2", "bad", 1},
		{"warnings counted", []Check{{Code: "X1", Status: Warn, Message: "first"}, {Code: "X2", Status: Warn, Message: "second"}}, OK, "X1", "No failure found; warning: first (and 1 more warning)", 0},
		{"warnings plural", []Check{{Code: "X1", Status: Warn, Message: "first"}, {Code: "X2", Status: Warn, Message: "second"}, {Code: "X3", Status: Warn, Message: "third"}}, OK, "X1", "No failure found; warning: first (and 2 more warnings)", 0},
		{"forbidden skips mentioned", []Check{{Code: "X1", Status: Pass}, forbidden}, OK, "", "No problem found; 1 step(s) skipped for lack of permissions", 0},
		{"nothing checked is incomplete, permission first", []Check{{Code: "X1", Status: Skip, Message: "no service"}, forbidden}, Incomplete, "X4", "Nothing could be checked: skipped", 2},
		{"nothing checked without permissions missing", []Check{{Code: "X1", Status: Skip, Message: "no service"}}, Incomplete, "X1", "Nothing could be checked: no service", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New("test", Object{Kind: "Service", Name: "x"})
			r.Add(tt.checks...)
			r.Finish(nil)
			if r.Verdict.Outcome != tt.outcome || r.Verdict.Code != tt.code || r.Verdict.Message != tt.message {
				t.Errorf("verdict = %+v, want %s %q %q", r.Verdict, tt.outcome, tt.code, tt.message)
			}
			if got := r.Verdict.Outcome.ExitCode(); got != tt.exit {
				t.Errorf("exit code %d, want %d", got, tt.exit)
			}
		})
	}
}

func TestPermissionString(t *testing.T) {
	if s := (Permission{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "shop"}).String(); s != "list endpointslices.discovery.k8s.io in namespace shop" {
		t.Error(s)
	}
	if s := (Permission{Verb: "list", Resource: "nodes"}).String(); s != "list nodes (cluster-wide)" {
		t.Error(s)
	}
}

func TestFinishDecidesOnceAndFindsByCode(t *testing.T) {
	type code string
	r := New("test", Object{Kind: "Pod", Name: "x"})
	r.Add(Check{Code: "X1", Status: Fail, Message: "first"}, Check{Code: "X2", Status: Fail, Message: "cause"})
	r.Finish(func(cs []Check, def Verdict) Verdict {
		if def.Code != "X1" {
			t.Errorf("default verdict %+v", def)
		}
		c := Find(cs, code("X2"))
		return Verdict{Outcome: Problems, Code: c.Code, Message: c.Message}
	})
	if r.Verdict.Code != "X2" || r.Summary.Fail != 2 {
		t.Errorf("verdict %+v summary %+v", r.Verdict, r.Summary)
	}
	if Find(r.Checks, code("X9")) != nil {
		t.Error("found a code the report does not hold")
	}
	defer func() {
		if recover() == nil {
			t.Error("a second Finish did not panic")
		}
	}()
	r.Finish(nil)
}

func TestWithWarningsDoesNotRepeatTheMessage(t *testing.T) {
	tests := []struct {
		name, message string
		checks        []Check
		want, code    string
	}{
		{"no warning", "done", []Check{{Code: "X1", Status: Pass, Message: "done"}}, "done", ""},
		{"the message is the warning", "No pod in scope", []Check{{Code: "X1", Status: Warn, Message: "no pod in scope."}}, "No pod in scope", "X1"},
		{"a whole sentence is not repeated", "3 pod(s): 5 of 9 flow(s) allowed, 2 undecided",
			[]Check{{Code: "X1", Status: Warn, Message: "3 pod(s): 5 of 9 flow(s) allowed, 2 undecided"}, {Code: "X2", Status: Warn, Message: "no network plugin found"}},
			"3 pod(s): 5 of 9 flow(s) allowed, 2 undecided; warning: no network plugin found", "X1"},
		{"others counted, singular", "allowed", []Check{{Code: "X1", Status: Warn, Message: "allowed"}, {Code: "X2", Status: Warn, Message: "a"}, {Code: "X3", Status: Warn, Message: "b"}},
			"allowed; warning: a (and 1 more warning)", "X1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, first := WithWarnings(tt.message, tt.checks)
			code := ""
			if first != nil {
				code = first.Code
			}
			if got != tt.want || code != tt.code {
				t.Errorf("got %q (%s), want %q (%s)", got, code, tt.want, tt.code)
			}
		})
	}
}

func TestFlowObject(t *testing.T) {
	o := FlowObject(Object{Kind: "Pod", Namespace: "shop", Name: "client"}, Object{Kind: "IP", Name: "10.0.0.1"})
	if o.Kind != "Flow" || o.Name != "shop/client -> 10.0.0.1" || o.From.Name != "client" || o.To.Kind != "IP" {
		t.Errorf("%+v", o)
	}
}
