# TCP file client (Bob)
import socket, time

server_ip = "192.168.5.67"
print(f"I am connecting to server side: {server_ip}")
data = open("send.txt", "rb").read()
times = []
for n in range(1, 101):
    t = time.time()
    c = socket.create_connection((server_ip, 9000))
    print(f'I am sending file "send.txt" for the {n}th time')
    c.sendall(data)
    c.close()
    ms = (time.time() - t) * 1000
    times.append(ms)
    print(f'I am finishing sending file "send.txt" for the {n}th time')
    print(f'The time used in millisecond to send "send.txt" for {n}th time is: {ms:.3f}')
print(f'The average time to send file "send.txt" in millisecond is: {sum(times) / len(times):.3f}')
print("I am done")
