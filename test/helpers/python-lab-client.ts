// The lab report's Python chat client (socket.connect((ip, port)), one UTF-8 send per input line,
// an empty line closes), as the chat tests run it against tcpwatch's server.

export const PYTHON_LAB_CLIENT = `
import socket, sys, threading

def receive_messages(client_socket):
    while True:
        try:
            data = client_socket.recv(1024)
        except OSError:
            break
        if not data:
            break
        print(data.decode('utf-8'), end='', flush=True)

def start_client(ip, port):
    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect((ip, port))
    receive_thread = threading.Thread(target=receive_messages, args=(client_socket,), daemon=True)
    receive_thread.start()
    while True:
        message = input()
        if message == '':
            break
        client_socket.send(message.encode('utf-8'))
    print("Closing connection...", flush=True)
    client_socket.close()

start_client(sys.argv[1], int(sys.argv[2]))
`;
