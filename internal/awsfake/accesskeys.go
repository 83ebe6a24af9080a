package awsfake

// AccountOfAccessKey names the account an access key ID acts in (a session
// from AssumeRole, a caller, or a user's key), so a fake of another service
// can answer per account.
func (s *Server) AccountOfAccessKey(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[id]; ok {
		return sess.accountID, true
	}
	for _, c := range s.org.Callers {
		if c.AccessKeyID == id {
			return c.AccountID, true
		}
	}
	for _, a := range s.org.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.ID == id {
					return a.ID, true
				}
			}
		}
	}
	return "", false
}
