# CYBR 2159 project: TCP file transfer, server side (Alice)
import socket
import time

HOST = "192.168.5.67"
PORT = 9000

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(5)
print("I am ready for any client side request")

standard = open("CompareStandard.txt", "rb").read()
wrong = 0
total = 0
for i in range(1, 101):
    conn, addr = server.accept()
    start = time.time()
    name = "receive" + str(i) + ".txt"
    print("I am starting receiving file ", name, " for the ", i, "th time")
    data = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    conn.close()
    f = open(name, "wb")
    f.write(data)
    f.close()
    if data != standard:
        wrong = wrong + 1
    used = (time.time() - start) * 1000
    total = total + used
    print("I am finishing receiving file ", name, " for the ", i, "th time")
    print("The time used in milliseconds to receive ", name, " for ", i, "th time is: ", used)
print("The average time to receive file receive.txt in millisecond is: ", total / 100)
print("Incorrect transfers:", wrong)
print("I am done")
