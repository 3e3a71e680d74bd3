// Package conformance is a black-box test suite for a guest agent binary: it starts the
// agent as a subprocess in development mode (-listen on a unix socket, -guest=false) and
// drives it over the framed protocol of guest/PROTOCOL.md with the client and protocol
// packages. It was written against the Go agent the C agent (guest/native) replaced, and
// passed against both before the Go one was removed: it pins the behaviour, not the code.
//
// Run it from the module root (guest/):
//
//	go test ./conformance/ -count=1
//
// Environment:
//
//	FAASTER_AGENT_BIN          absolute path of the agent binary to test (faaster-unpack must
//	                           be next to it); unset: the C agent is built once into a
//	                           temporary directory (make -C native, see agentBinary)
//	FAASTER_PYTHON             interpreter for the python3 runtime (default /usr/bin/python3.11;
//	                           the python3 tests are skipped when it does not exist)
//	FAASTER_PYTHON_BOOTSTRAP   the python3 helper (default guest/runtime/python/bootstrap.py)
//
// Every test starts its own agent process with its own temporary directories. Loading code
// from a 9p share needs a mount and is not covered here.
package conformance
