// Command etcd is upstream's etcd server (go.etcd.io/etcd/server/v3/etcdmain), built from
// the published module because the etcd repository's root module is not go-installable.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
