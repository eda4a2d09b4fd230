package store

import (
	"reflect"
	"testing"
)

func TestContacts(t *testing.T) {
	s, _ := openTest(t)
	if cs, err := s.Contacts(); err != nil || len(cs) != 0 {
		t.Fatalf("Contacts on empty store = %v, %v", cs, err)
	}
	if err := s.SetNickname("0x04bb", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNetworkName("0x04bb", "Brave Blue Bear"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNetworkName("0x04aa", "Alert Amber Ant"); err != nil {
		t.Fatal(err)
	}
	// Setting one name must not clear the other.
	if err := s.SetNickname("0x04bb", "bobby"); err != nil {
		t.Fatal(err)
	}
	want := []Contact{
		{Key: "0x04aa", NetworkName: "Alert Amber Ant"},
		{Key: "0x04bb", Nickname: "bobby", NetworkName: "Brave Blue Bear"},
	}
	cs, err := s.Contacts()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cs, want) {
		t.Fatalf("Contacts = %+v, want %+v", cs, want)
	}
	c, ok, err := s.Contact("0x04bb")
	if err != nil || !ok || c != want[1] {
		t.Fatalf("Contact = %+v ok=%v err=%v", c, ok, err)
	}
	if err := s.SetNickname("0x04bb", ""); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.Contact("0x04bb"); c.Nickname != "" || c.NetworkName != "Brave Blue Bear" {
		t.Fatalf("after clearing nickname: %+v", c)
	}
	if _, ok, err := s.Contact("0x04cc"); ok || err != nil {
		t.Fatalf("Contact(unknown) ok=%v err=%v", ok, err)
	}
	if err := s.SetNickname("", "x"); err == nil {
		t.Fatal("empty key accepted")
	}
}
