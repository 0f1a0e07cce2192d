// Package actions is the only code that changes the cluster, and only when
// the user asked for it: the procedure's temporary allow-all NetworkPolicy
// (created, kept for its TTL, deleted) and the cleanup of the ones a killed
// process left behind. Every procedure under pkg/checks only reads.
package actions
