package session

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
)

type eciesVectors struct {
	AliceSeed  string `json:"alice_seed"`
	AlicePub   string `json:"alice_pub"`
	BobSeed    string `json:"bob_seed"`
	BobPub     string `json:"bob_pub"`
	ECDHSecret string `json:"ecdh_secret"`
	PlainLen   int    `json:"ecies_plaintext_len"`
	CipherLen  int    `json:"ecies_ciphertext_len"`
}

// TestOneToOneWithVectorKeys runs the one-to-one path with the alice and
// bob keys of PROTOCOL.md §6: the ECIES primitives match the vectors,
// and alice's message reaches bob filed under alice's key.
func TestOneToOneWithVectorKeys(t *testing.T) {
	raw, err := os.ReadFile("../testdata/session/ecies.json")
	if err != nil {
		t.Fatal(err)
	}
	var v eciesVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	alice, err := crypto.ToECDSA(crypto.Keccak256([]byte(v.AliceSeed)))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := crypto.ToECDSA(crypto.Keccak256([]byte(v.BobSeed)))
	if err != nil {
		t.Fatal(err)
	}
	if codec.PublicKeyHex(&alice.PublicKey) != v.AlicePub || codec.PublicKeyHex(&bob.PublicKey) != v.BobPub {
		t.Fatal("alice/bob public keys differ from the vectors")
	}
	secret, err := ecies.ImportECDSA(alice).GenerateShared(ecies.ImportECDSAPublic(&bob.PublicKey), 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(secret) != v.ECDHSecret {
		t.Fatalf("ECDH secret %x, want %s", secret, v.ECDHSecret)
	}
	plain := make([]byte, v.PlainLen)
	ct, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(&bob.PublicKey), plain, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != v.CipherLen {
		t.Fatalf("ECIES of %d bytes is %d bytes, want %d", v.PlainLen, len(ct), v.CipherLen)
	}
	if _, err := ecies.ImportECDSA(alice).Decrypt(ct, nil, nil); err == nil {
		t.Fatal("alice decrypted a message sealed to bob")
	}

	a := newClient(t, clientOptions{identity: alice})
	b := newClient(t, clientOptions{identity: bob, peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if a.key() != v.AlicePub || b.key() != v.BobPub {
		t.Fatal("sessions do not use the given identities")
	}
	if err := a.mgr.Send(v.BobPub, "hello bob"); err == nil {
		t.Fatal("sent to a chat that was never opened")
	}
	if _, err := a.mgr.OpenPrivate(v.BobPub); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(v.BobPub, "hello bob"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob reads alice", func() bool { return slices.Equal(b.texts(v.AlicePub), []string{"hello bob"}) })

	// What went over the wire is ECIES to bob: bob's key opens it, alice's
	// (the sender's) does not.
	ms, _ := a.mgr.Latest(v.BobPub, 1)
	id, _ := parseID(ms[0].ID)
	var envHash [32]byte
	waitFor(t, "envelope hash stored", func() bool {
		sm, _, _ := a.store.Message(id)
		envHash = sm.EnvelopeHash
		return envHash != [32]byte{}
	})
	env := b.node.Whisper().GetEnvelope(common.Hash(envHash))
	if env == nil {
		t.Fatal("bob's node does not hold the envelope")
	}
	if _, err := env.OpenAsymmetric(alice); err == nil {
		t.Fatal("the sender's key opens the one-to-one envelope")
	}
	msg, err := env.OpenAsymmetric(bob)
	if err != nil || !msg.ValidateAndParse() || codec.PublicKeyHex(msg.Src) != v.AlicePub {
		t.Fatalf("bob cannot open or verify the envelope: %v", err)
	}
	if env.Topic != [4]byte(codec.TopicFor(codec.DiscoveryTopicName)) {
		t.Fatalf("one-to-one topic %x, want contact-discovery", env.Topic)
	}
}
