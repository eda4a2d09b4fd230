package encryption

// The generated code is committed, so building needs neither tool. To
// regenerate: protoc from Debian's protobuf-compiler, and
// go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12.
//go:generate protoc --go_out=. --go_opt=paths=source_relative protocol_message.proto
