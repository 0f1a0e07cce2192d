module github.com/netdebug/kubectl-netdebug/hack/images/pause

go 1.26.0
