print('evaluate')
