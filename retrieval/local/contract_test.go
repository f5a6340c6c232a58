package local_test

import (
	"testing"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/backendtest"
)

func TestBackendContract(t *testing.T) {
	backendtest.Run(t, func(tb testing.TB) retrieval.Backend { return openStore(tb, tb.TempDir()) })
}
