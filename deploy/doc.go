// Package deploy holds what an operator deploys Outlay with, beside the binary: haproxy.cfg,
// the load balancer in front of several app servers. Its test runs that very file in front of
// two `outlay serve` processes.
package deploy
