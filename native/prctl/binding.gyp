{
  "targets": [
    {
      "target_name": "prctl",
      "sources": ["prctl.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
