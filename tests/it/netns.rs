//! The network-namespace harness (`meridian_testkit::netns`) checks itself: members reach
//! each other over the segment, links go down and up, and nothing is left behind.

use std::process::{Command, Stdio};

use meridian_testkit::netns::{Lan, alive, run};

/// A TCP connection from one member to another crosses the segment; the namespaces (and
/// their holders) are gone after drop.
#[test]
fn members_reach_each_other_and_vanish_on_drop() {
    if !Lan::available_or_skip("netns::members_reach_each_other_and_vanish_on_drop") {
        return;
    }
    for n in [2, 3] {
        let lan = Lan::new(n).expect("build the namespaces");
        assert_eq!(lan.len(), n);
        let listen = format!(
            "import socket; s=socket.socket(); s.bind(('{}', 7447)); s.listen(1); \
             print('ready', flush=True); c,_=s.accept(); c.sendall(b'hello'); c.close()",
            lan.addr(0)
        );
        let mut server = lan
            .command(0, "python3")
            .args(["-c", &listen])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.stdout.as_mut().expect("piped")),
            &mut ready,
        )
        .expect("server says ready");
        assert_eq!(ready.trim(), "ready");
        let dial = format!(
            "import socket; s=socket.create_connection(('{}', 7447), timeout=5); \
             print(s.recv(5).decode())",
            lan.addr(0)
        );
        let out = lan
            .command(n - 1, "python3")
            .args(["-c", &dial])
            .output()
            .expect("python3 runs");
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "hello",
            "{out:?}"
        );

        // The host namespace cannot reach the segment: it is really separate.
        let host = run(Command::new("ip").args(["-o", "addr"])).expect("ip addr");
        assert!(!String::from_utf8_lossy(&host.stdout).contains("10.77.0."));

        let pids = lan.holder_pids();
        drop(lan);
        for pid in pids {
            assert!(!alive(pid), "holder {pid} still running");
        }
    }
}

/// A link taken down stops traffic; brought up, it carries it again.
#[test]
fn a_link_goes_down_and_up() {
    if !Lan::available_or_skip("netns::a_link_goes_down_and_up") {
        return;
    }
    let lan = Lan::new(2).expect("build the namespaces");
    // A refused connection proves the peer answered; anything else (timeout, no route) that
    // nothing came back.
    let probe = format!(
        "import socket\ntry:\n socket.create_connection(('{}', 9), timeout=1)\n print('open')\n\
         except ConnectionRefusedError:\n print('answered')\nexcept OSError:\n print('silent')",
        lan.addr(1)
    );
    let reach = |lan: &Lan| {
        let out = lan
            .command(0, "python3")
            .args(["-c", &probe])
            .output()
            .expect("python3 runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(reach(&lan), "answered");
    lan.set_link(1, false).expect("link down");
    assert_eq!(reach(&lan), "silent");
    lan.set_link(1, true).expect("link up");
    assert_eq!(reach(&lan), "answered");
}
