package mail_test

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/connectors/mail"
)

// A relay that announces CHUNKING, answers BDAT at once with 502 and closes the
// connection without reading the chunk (as a middlebox may): the client's write of
// a large chunk then fails, but the relay's refusal came first, so the message was
// not taken and goes again by DATA, once.
func TestSMTP_BDATRefusedThenClosedFallsBackToDATA(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		received []string
		wg       sync.WaitGroup
	)
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				r := bufio.NewReader(c)
				say := func(s string) { c.Write([]byte(s + "\r\n")) }
				say("220 relais.test ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " ")
					switch verb {
					case "EHLO":
						say("250-relais.test\r\n250-8BITMIME\r\n250 CHUNKING")
					case "MAIL", "RCPT", "RSET", "NOOP":
						say("250 2.0.0 ok")
					case "BDAT":
						say("502 5.5.1 BDAT not implemented")
						if tc, ok := c.(*net.TCPConn); ok {
							tc.SetLinger(0) // reset: the unread chunk is dropped
						}
						return
					case "DATA":
						say("354 go ahead")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(strings.TrimPrefix(l, ".")) // dot-stuffing undone
						}
						mu.Lock()
						received = append(received, b.String())
						mu.Unlock()
						say("250 2.0.0 queued")
					case "QUIT":
						say("221 bye")
						return
					default:
						say("500 5.5.2 unknown")
					}
				}
			})
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg := mail.SMTPConfig{Host: "127.0.0.1", Security: mail.SecurityNone, HELO: "hypercerts.test",
		From: "Scolarité <scolarite@univ-test.fr>", Timeout: 10 * time.Second}
	cfg.Port, _ = strconv.Atoi(port)
	s := newSMTP(t, cfg, nil)
	body := bigMessage(8 << 20) // larger than the socket buffers: the write fails
	if err := s.Deliver(context.Background(), []byte(body), "a@etu.univ-test.fr"); err != nil {
		t.Fatalf("BDAT refusé puis connexion coupée : %v (DATA attendu)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) != 1 || received[0] != body {
		t.Fatalf("%d messages reçus par DATA, 1 attendu, intact", len(received))
	}
}
