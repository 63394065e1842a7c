print('lora')
