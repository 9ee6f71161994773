# TCP file server (Bob)
import socket, time

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.5.67", 9000))
s.listen(10)
print("I am ready for any client side request")
expected = open("CompareStandard.txt", "rb").read()
times = []
for n in range(1, 101):
    c, _ = s.accept()
    t = time.time()
    print(f'I am starting receiving file "receive.txt" for the {n}th time')
    parts = []
    while True:
        b = c.recv(65536)
        if not b:
            break
        parts.append(b)
    c.close()
    with open("receive.txt", "wb") as out:   # every copy under the same name
        out.write(b"".join(parts))
    ms = (time.time() - t) * 1000
    times.append(ms)
    print(f'I am finishing receiving file "receive.txt" for the {n}th time')
    print(f'The time used in millisecond to receive "receive.txt" for {n}th time is: {ms:.3f}')
print(f'The average time to receive file "receive.txt" in millisecond is: {sum(times) / len(times):.3f}')
print("I am done")
