# CYBR 2159 project: TCP file transfer, client side (Alice)
import socket
import time

SERVER = "192.168.5.67"
PORT = 9000

print("I am connecting to server side: ", SERVER)
total = 0
for i in range(1, 101):
    start = time.time()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((SERVER, PORT))
    print("I am sending file send.txt for the ", i, "th time")
    f = open("send.txt", "rb")
    s.sendall(f.read())
    f.close()
    s.close()
    used = (time.time() - start) * 1000
    total = total + used
    print("I am finishing sending file send.txt for the ", i, "th time")
    print("The time used in millisecond to send send.txt for ", i, "th time is: ", used)
print("The average time to send file send.txt in millisecond is: ", total / 100)
print("I am done")
