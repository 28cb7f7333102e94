package objects

import (
	bolt "go.etcd.io/bbolt"
)

// PutState durably stores v under key in the agent's state bucket.
func (s *Store) PutState(key string, v []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(stateBucket).Put([]byte(key), v)
	})
}

// GetState returns the value under key and whether it exists.
func (s *Store) GetState(key string) ([]byte, bool, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(stateBucket).Get([]byte(key)); v != nil {
			out = append([]byte{}, v...)
		}
		return nil
	})
	return out, out != nil, err
}

// DeleteState removes key; a missing key is not an error.
func (s *Store) DeleteState(key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(stateBucket).Delete([]byte(key))
	})
}

// ListState returns every key starting with prefix and its value.
func (s *Store) ListState(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(stateBucket).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			out[string(k)] = append([]byte{}, v...)
		}
		return nil
	})
	return out, err
}
