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
		{"warnings counted", []Check{{Code: "X1", Status: Warn, Message: "first"}, {Code: "X2", Status: Warn, Message: "second"}}, OK, "X1", "No failure found; warning: first (and 1 more warnings)", 0},
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
