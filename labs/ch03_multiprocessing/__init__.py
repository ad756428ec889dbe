"""Labs of chapter 3: processes, start methods, pools, queues, shared memory."""
