package event

import "testing"

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newLRU[int](2)
	c.add("a", 1)
	c.add("b", 2)
	if _, ok := c.get("a"); !ok { // a is now most recent
		t.Fatal("a missing")
	}
	c.add("c", 3) // evicts b
	if _, ok := c.get("b"); ok {
		t.Fatal("b not evicted")
	}
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Fatal("a evicted")
	}
	c.add("a", 10)
	if v, _ := c.get("a"); v != 10 || c.len() != 2 {
		t.Fatalf("update: %d len %d", v, c.len())
	}
}
